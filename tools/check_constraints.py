"""Fail unless the installed packages are exactly the pinned ones.

``python tools/check_constraints.py lower-constraints.txt`` guards
``tox -e lower-constraints``: it would be worthless if pip had installed
newer releases than the minimums it is meant to test.
"""

import importlib.metadata
import sys


def pins(path):
    for line in open(path, encoding='utf-8'):
        line = line.split('#', 1)[0].strip()
        if line:
            name, version = line.split('==')
            yield name.strip(), version.strip()


def main(path):
    wrong = []
    for name, wanted in pins(path):
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = 'not installed'
        print(f'{name}: {installed} (pinned {wanted})')
        if installed != wanted:
            wrong.append(name)
    if wrong:
        print(f'not at the pinned version: {", ".join(wrong)}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
