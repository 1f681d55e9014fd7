# Sourced by run.sh after the main measurements: managed allocation of the bouncer under load.
ALLOC_NOTE="## Allocation on the data path

Not measured yet."
