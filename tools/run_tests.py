#!/usr/bin/env python3
"""Run an Odoo test command, echo its log, and end with a pytest-style summary line.

Odoo reports "F failed, E error(s) of N tests when loading database"; an ERROR or
CRITICAL log line outside a test (a module that fails to load, a broken view) also
counts as a failure, so that nothing broken can end in a green run.
"""
import argparse
import re
import subprocess
import sys

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>\S+): (?P<msg>.*)")
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lint-failed", type=int, default=0)
    parser.add_argument("--check", action="append", default=[], metavar="NAME:RC",
                        help="a check run before the tests (0: passed), counted in the summary")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    report = None
    skipped = []
    stray_errors = []
    failed_tests = []
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in proc.stdout:
        sys.stdout.write(line)
        match = LOG_LINE.match(line)
        if not match:
            continue
        level, logger, msg = match["level"], match["logger"], match["msg"]
        found = REPORT.search(msg)
        if found and "when loading database" in msg:
            report = tuple(int(x) for x in found.groups())
        elif msg.startswith("skipped "):
            skipped.append(msg)
        elif level == "WARNING" and "failed to install" in msg:
            stray_errors.append(f"{logger}: {msg}")
        elif level in ("ERROR", "CRITICAL"):
            if msg.startswith(("FAIL:", "ERROR:")):
                failed_tests.append(msg.split("\n")[0])
            elif ".tests." not in logger:
                stray_errors.append(f"{logger}: {msg}")
    rc = proc.wait()

    failures, errors, run = report or (0, 0, 0)
    failed = failures + errors
    passed = max(run - failed - len(skipped), 0)
    for check in args.check:
        name, _sep, check_rc = check.rpartition(":")
        if int(check_rc):
            failed += 1
            failed_tests.append(f"FAIL: {name}")
        else:
            passed += 1
    problems = []
    if report is None:
        problems.append("Odoo printed no test report (did the module install?)")
    elif not run:
        problems.append("no test ran")
    if stray_errors:
        problems.append(f"{len(stray_errors)} error(s) logged outside tests:")
        problems += [f"  {e}" for e in stray_errors[:20]]
    if args.lint_failed:
        problems.append("lint failed (see above)")
    if rc and not failed and not problems:
        problems.append(f"Odoo exited with code {rc}")
    if problems:
        failed += 1
    print()
    for line in skipped + failed_tests + problems:
        print(line)
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {len(skipped)} skipped"
    print(summary)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
