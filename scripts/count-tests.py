#!/usr/bin/env python3
"""Counts meson test results so scripts/test can print one honest closing line.

count-tests.py LOG.json...   prints "passed failed skipped" for the newest log
count-tests.py --sum FILE    adds up such lines and prints "N passed, N failed, N skipped"
"""
import json
import sys


def count(path):
    passed = failed = skipped = 0
    with open(path) as f:
        for line in f:
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
    return passed, failed, skipped


def main():
    if sys.argv[1] == "--sum":
        totals = [0, 0, 0]
        with open(sys.argv[2]) as f:
            for line in f:
                for i, n in enumerate(line.split()):
                    totals[i] += int(n)
        print("%d passed, %d failed, %d skipped" % tuple(totals))
        return
    import os
    newest = max(sys.argv[1:], key=os.path.getmtime)
    print("%d %d %d" % count(newest))


main()
