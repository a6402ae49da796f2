#!/usr/bin/env python3
# Embeds numbered SQL migrations as a C array of string literals, in order.
# Migration N ends with "PRAGMA user_version = N;", so that the schema change
# and its version bump run in the same SQLite transaction and no SQL has to
# be assembled at run time.
import os
import sys


def c_string(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '\t"' + escaped.replace("\n", '\\n"\n\t"') + '"'


out, inputs = sys.argv[1], sys.argv[2:]
inputs.sort(key=os.path.basename)
with open(out, "w") as f:
    f.write("/* Generated from the numbered migrations/NNNN_*.sql files by embed.py. */\n")
    f.write("#pragma once\n\nstatic const char *const journal_migrations[] = {\n")
    for i, path in enumerate(inputs, 1):
        name = os.path.basename(path)
        if not name.startswith("%04d_" % i):
            sys.exit("%s: expected migration number %04d" % (name, i))
        with open(path) as src:
            sql = src.read()
        if "user_version" in sql.lower():
            sys.exit("%s: the version bump is appended by embed.py" % name)
        sql = sql.rstrip("\n") + "\n\nPRAGMA user_version = %d;\n" % i
        f.write("\t/* %s */\n%s,\n" % (name, c_string(sql)))
    f.write("};\n")
