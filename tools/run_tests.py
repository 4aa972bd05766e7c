#!/usr/bin/env python3
"""Run Odoo test commands, echo their logs, and end with one pytest-style summary line.

    run_tests.py [--lint-failed N] [--check NAME:RC]... -- COMMAND... [-- COMMAND...]

Odoo reports "F failed, E error(s) of N tests when loading database"; an ERROR or
CRITICAL log line outside a test (a module that fails to load, a broken view) also
counts as a failure, so that nothing broken can end in a green run. A check run
before (an upgrade test, say) counts as one test.
"""
import argparse
import re
import subprocess
import sys

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>\S+): (?P<msg>.*)")
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


class Run:
    """What one Odoo command reported."""

    def __init__(self, command):
        self.command = command
        self.report = None
        self.skipped = []
        self.stray_errors = []
        self.failed_tests = []
        self.rc = 0

    def execute(self):
        proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in proc.stdout:
            sys.stdout.write(line)
            self.read(line)
        self.rc = proc.wait()

    def read(self, line):
        match = LOG_LINE.match(line)
        if not match:
            return
        level, logger, msg = match["level"], match["logger"], match["msg"]
        found = REPORT.search(msg)
        if found and "when loading database" in msg:
            self.report = tuple(int(x) for x in found.groups())
        elif msg.startswith("skipped "):
            self.skipped.append(msg)
        elif level == "WARNING" and "failed to install" in msg:
            self.stray_errors.append(f"{logger}: {msg}")
        elif level in ("ERROR", "CRITICAL"):
            if msg.startswith(("FAIL:", "ERROR:")):
                self.failed_tests.append(msg.split("\n")[0])
            elif ".tests." not in logger:
                self.stray_errors.append(f"{logger}: {msg}")

    def problems(self):
        failures, errors, run = self.report or (0, 0, 0)
        problems = []
        if self.report is None:
            problems.append("Odoo printed no test report (did the module install?)")
        elif not run:
            problems.append("no test ran")
        if self.stray_errors:
            problems.append(f"{len(self.stray_errors)} error(s) logged outside tests:")
            problems += [f"  {e}" for e in self.stray_errors[:20]]
        if self.rc and not failures + errors and not problems:
            problems.append(f"Odoo exited with code {self.rc}")
        return problems


def split_commands(args):
    commands, current = [], []
    for arg in args:
        if arg == "--":
            if current:
                commands.append(current)
            current = []
        else:
            current.append(arg)
    if current:
        commands.append(current)
    return commands


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lint-failed", type=int, default=0)
    parser.add_argument("--check", action="append", default=[], metavar="NAME:RC",
                        help="a check run before the tests (0: passed), counted in the summary")
    parser.add_argument("commands", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    passed = failed = 0
    lines = []
    skipped = []
    for command in split_commands(args.commands):
        run = Run(command)
        run.execute()
        failures, errors, total = run.report or (0, 0, 0)
        problems = run.problems()
        failed += failures + errors + (1 if problems else 0)
        passed += max(total - failures - errors - len(run.skipped), 0)
        skipped += run.skipped
        lines += run.failed_tests + problems
    for check in args.check:
        name, _sep, check_rc = check.rpartition(":")
        if int(check_rc):
            failed += 1
            lines.append(f"FAIL: {name}")
        else:
            passed += 1
    if args.lint_failed:
        failed += 1
        lines.append("lint failed (see above)")
    print()
    for line in skipped + lines:
        print(line)
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {len(skipped)} skipped"
    print(summary)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
