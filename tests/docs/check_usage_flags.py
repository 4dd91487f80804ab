#!/usr/bin/env python3
"""docs/usage.md and `glc --help` name the same flags and import limits.

    check_usage_flags.py GLC_DRIVER DOCS/usage.md

A flag is a token --name, -o, -O0..-O3 or -v ("--flag" in "--flag=VALUE" is the help's
placeholder); a limit is a name in the help's "limits (--limit NAME=N)" list. Exit 1 with
the differences.
"""
import re
import subprocess
import sys

FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-O[0-3]|-o|-v)(?![\w-])")


def flags(text):
    return set(FLAG.findall(text)) - {"--flag"}


def limits(help_text):
    section = help_text.split("limits (--limit NAME=N)", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\s+([a-z][a-z-]*)\s+\d+", section, re.M))


def main(glc, usage_path):
    help_text = subprocess.run([glc, "--help"], capture_output=True, text=True,
                               check=True).stdout
    usage = open(usage_path).read()
    if "-O0` .. `-O3" in usage:  # the table's range stands for the four levels
        usage += " -O1 -O2"
    problems = []
    for name, want, got in (("flags", flags(help_text), flags(usage)),
                            ("limits", limits(help_text),
                             {w for w in limits(help_text) if f"`{w}`" in usage})):
        if want - got:
            problems.append(f"{name} in glc --help but not in {usage_path}: {sorted(want - got)}")
        if name == "flags" and got - want:
            problems.append(f"{name} in {usage_path} but not in glc --help: {sorted(got - want)}")
    if not limits(help_text):
        problems.append("no limits found in glc --help")
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(flags(help_text))} flags and {len(limits(help_text))} limits: the same")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
