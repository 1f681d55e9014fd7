#!/bin/sh
# keepalived's notify hook for the Bouncer pair (samples/ha/keepalived.conf): one line per state
# change of this host, appended to FILE when one is given, else to the system log (logger).
#
#   ha-notify.sh [FILE] TYPE NAME STATE PRIORITY      (keepalived appends the last four)
#
#   1765054805123 2025-12-06T21:00:05+00:00 bouncer-a: INSTANCE bouncer is MASTER (priority 150)
#
# The first field is Unix time in milliseconds, so the lines of both hosts sort into one timeline.
set -u
file=""
if [ $# -eq 5 ]; then
    file=$1
    shift
fi
line="$(hostname -s 2>/dev/null || echo host): $1 $2 is $3 (priority $4)"
if [ -n "$file" ]; then
    echo "$(date +%s%3N) $(date -Iseconds) $line" >>"$file"
else
    logger -t bouncer-ha -p daemon.notice "$line"
fi
