#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Strict reader of the Prometheus text exposition format (0.0.4), for the
tests: every line is a HELP, a TYPE or a sample; each family is declared
once, with HELP and TYPE before its samples, and all its samples are
together; metric and label names, label escapes and values are checked;
no sample repeats. Prints the samples as JSON
({"name{label=value,...}": value}) on stdout; exits 1 with the offending
line on stderr."""
import json
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r"(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN)"
LABEL_RE = re.compile(r'(' + LABEL + r')="((?:[^"\\\n]|\\[\\"n])*)"')
SAMPLE_RE = re.compile(r"^(" + NAME + r")(?:\{(.*)\})? (" + VALUE + r")(?: -?[0-9]+)?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def die(n, line, why):
    sys.stderr.write("line %d: %s: %r\n" % (n, why, line))
    sys.exit(1)


def labels(n, line, text):
    out, pos = [], 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        if not m:
            die(n, line, "malformed labels")
        value = re.sub(r"\\(.)", lambda e: {"n": "\n"}.get(e.group(1), e.group(1)), m.group(2))
        out.append((m.group(1), value))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                die(n, line, "expected ',' between labels")
            pos += 1
    names = [k for k, _ in out]
    if len(set(names)) != len(names):
        die(n, line, "duplicate label")
    return out


def main():
    text = sys.stdin.read()
    if text and not text.endswith("\n"):
        die(0, text[-40:], "no final newline")
    helps, types, done, samples = set(), {}, set(), {}
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^# (HELP|TYPE) (" + NAME + r") (.*)$", line)
        if m:
            kind, name, rest = m.groups()
            if name in done or (current and current != name):
                if current:
                    done.add(current)
                if name in done:
                    die(n, line, "family declared twice")
            current = name
            if kind == "HELP":
                if name in helps:
                    die(n, line, "second HELP")
                helps.add(name)
            else:
                if rest not in TYPES or name in types:
                    die(n, line, "bad or second TYPE")
                types[name] = rest
            continue
        if line.startswith("#") or not line:
            die(n, line, "unexpected line")
        m = SAMPLE_RE.match(line)
        if not m:
            die(n, line, "malformed sample")
        name, lab, value = m.groups()
        if name != current or name not in types or name not in helps:
            die(n, line, "sample outside its family (HELP and TYPE first)")
        if types[name] == "counter" and not name.endswith("_total"):
            die(n, line, "counter without _total")
        key = name + "{" + ",".join("%s=%s" % kv for kv in labels(n, line, lab or "")) + "}"
        if key in samples:
            die(n, line, "repeated sample")
        samples[key] = float(value)
    json.dump(samples, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


main()
