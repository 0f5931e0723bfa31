#!/usr/bin/env python3
"""Instruction counts of the functions of two `objdump -d --no-show-raw-insn` listings and how
many instructions differ (addresses and jump targets ignored): shows that a change to a fast-path
file compiles to the same code (bench/results/trace-observer-2026-12-01.md).

  disasm_compare.py BEFORE.s AFTER.s
"""
import difflib
import re
import sys


def functions(path):
    out, cur = {}, None
    for line in open(path):
        m = re.match(r'^[0-9a-f]+ <(.*)>:', line)
        if m:
            cur = m.group(1)
            out[cur] = []
            continue
        if cur and re.match(r'^\s+[0-9a-f]+:\t', line):
            ins = line.split('\t', 1)[1].strip()
            ins = re.sub(r'[0-9a-f]+ <[^>]*>', 'ADDR', ins)
            ins = re.sub(r'^(j\w+)\s+[0-9a-f]+$', r'\1 X', ins)
            out[cur].append(ins)
    return out


def main():
    before, after = functions(sys.argv[1]), functions(sys.argv[2])
    for name, ins in before.items():
        print(f'before {len(ins):5d}  {name}')
    for name, ins in after.items():
        print(f'after  {len(ins):5d}  {name}')
    if len(sys.argv) > 4:
        b = next(v for k, v in before.items() if sys.argv[3] in k)
        a = next(v for k, v in after.items() if sys.argv[4] in k)
        changed = sum(1 for d in difflib.ndiff(b, a) if d[:2] in ('+ ', '- '))
        print(f'{sys.argv[3]} -> {sys.argv[4]}: {len(b)} -> {len(a)} instructions, '
              f'{changed} lines added or removed (moved blocks count twice)')


if __name__ == '__main__':
    main()
