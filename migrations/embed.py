#!/usr/bin/env python3
# Embeds numbered SQL migrations as a C array of string literals, in order.
import os
import sys

out, inputs = sys.argv[1], sys.argv[2:]
inputs.sort(key=os.path.basename)
with open(out, "w") as f:
    f.write("/* Generated from migrations/*.sql by migrations/embed.py. */\n")
    f.write("#pragma once\n\nstatic const char *const journal_migrations[] = {\n")
    for i, path in enumerate(inputs, 1):
        name = os.path.basename(path)
        if not name.startswith("%04d_" % i):
            sys.exit("%s: expected migration number %04d" % (name, i))
        with open(path) as src:
            sql = src.read()
        f.write("\t/* %s */\n\t\"" % name)
        f.write(sql.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n\"\n\t\""))
        f.write("\",\n")
    f.write("};\n")
