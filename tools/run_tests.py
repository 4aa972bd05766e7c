#!/usr/bin/env python3
"""Run test commands side by side, echo their logs, and end with one pytest-style summary line.

    run_tests.py [--check NAME=COMMAND]... -- COMMAND... [-- COMMAND...]

Every command starts at once (each Odoo run on its own database and HTTP port, so that two cores are both at
work): the first one's log is echoed as it comes, each other's in one piece once it has ended. Odoo reports
"F failed, E error(s) of N tests when loading database"; an ERROR or CRITICAL log line outside a test (a module
that fails to load, a broken view) also counts as a failure, so that nothing broken can end in a green run. A
check (lint, the upgrade test) is a shell command that counts as one test, passed when it exits with 0.
"""
import argparse
import re
import subprocess
import sys
import tempfile

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>\S+): (?P<msg>.*)")
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


class Job:
    """One command running beside the others, its log echoed live or kept for later."""

    def __init__(self, command, live, shell=False):
        self.command = command
        self.live = live
        self.shell = shell
        self.log = None if live else tempfile.TemporaryFile("w+")
        self.proc = None
        self.rc = 0

    def start(self):
        self.proc = subprocess.Popen(
            self.command, shell=self.shell, text=True, bufsize=1,
            stdout=subprocess.PIPE if self.live else self.log, stderr=subprocess.STDOUT)

    def finish(self):
        """Wait for the command, echo its log, and read it."""
        if self.live:
            for line in self.proc.stdout:
                sys.stdout.write(line)
                self.read(line)
            self.rc = self.proc.wait()
            return
        self.rc = self.proc.wait()
        self.log.seek(0)
        for line in self.log:
            sys.stdout.write(line)
            self.read(line)
        self.log.close()

    def read(self, line):
        pass


class Check(Job):
    """A command that counts as one test."""

    def __init__(self, name, command):
        super().__init__(command, live=False, shell=True)
        self.name = name


class OdooRun(Job):
    """What one Odoo test command reported."""

    def __init__(self, command, live):
        super().__init__(command, live)
        self.report = None
        self.skipped = []
        self.stray_errors = []
        self.failed_tests = []

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
    parser.add_argument("--check", action="append", default=[], metavar="NAME=COMMAND",
                        help="a shell command run beside the tests, counted as one test (exit code 0: passed)")
    parser.add_argument("commands", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    runs = [OdooRun(command, live=not i) for i, command in enumerate(split_commands(args.commands))]
    checks = [Check(*check.split("=", 1)) for check in args.check]
    for job in runs + checks:
        job.start()
    for job in runs + checks:
        job.finish()

    passed = failed = 0
    lines, skipped = [], []
    for run in runs:
        failures, errors, total = run.report or (0, 0, 0)
        problems = run.problems()
        failed += failures + errors + (1 if problems else 0)
        passed += max(total - failures - errors - len(run.skipped), 0)
        skipped += run.skipped
        lines += run.failed_tests + problems
    for check in checks:
        if check.rc:
            failed += 1
            lines.append(f"FAIL: {check.name} (see its log above)")
        else:
            passed += 1
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
