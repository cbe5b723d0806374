"""Run a command and print its exit code, peak RSS (KiB) and CPU seconds as JSON on stderr's last line.

Peak RSS has to be measured from a small parent: a child forked from a big process
(a benchmark holding the emulator's data) counts the parent's pages as its own until
it execs, so `wait4` from the benchmark itself reports the benchmark's size.
"""

import json
import os
import sys

if __name__ == "__main__":
    pid = os.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    _, status, usage = os.wait4(pid, 0)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "rss_kib": usage.ru_maxrss,
                      "cpu": usage.ru_utime + usage.ru_stime}), file=sys.stderr)
