using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// The names a file will expand to addresses when it is compiled (<c>external:</c> values and the
/// address of each rule's <c>to:</c>), found before the compile so they can be looked up together.
/// Only the form of each word is judged here; the compile reports what is wrong with it.
/// </summary>
internal static class NamesToExpand
{
    public static IEnumerable<string> In(FileSyntax file)
    {
        // A bag of its own: the compile reads these words again and reports their problems once.
        var addresses = new AddressReader(new DiagnosticBag());
        foreach (var item in file.Items)
        {
            var options = item switch
            {
                OptionSyntax { Keyword: "external" } option => option.Values.OfType<WordSyntax>(),
                ObjectSyntax obj => obj.Body.OfType<OptionSyntax>()
                    .Where(o => o.Keyword == "to" && o.Values.Length > 0 && o.Values[0] is WordSyntax)
                    .Select(o => (WordSyntax)o.Values[0]),
                _ => [],
            };
            foreach (var word in options)
            {
                if (addresses.Read(word) is { Form: AddressForm.Name, HasMask: false, Name: { } name })
                {
                    yield return name;
                }
            }
        }
    }
}
