"""advisor.stats.special: scipy.special's kernels loaded without the package's start-up are the
very ufuncs `import scipy.special` gives (so every float stays the same), and loading them that
way leaves a later `import scipy.special` working."""

from __future__ import annotations

import subprocess
import sys

from advisor.stats.special import NAMES, kernels


def test_kernels_are_scipy_specials_own_functions():
    import scipy.special

    k = kernels()
    for name in NAMES:
        assert getattr(k, name) is getattr(scipy.special, name), name


def test_a_fresh_process_loads_the_kernels_alone_and_scipy_special_still_imports():
    code = (
        "import sys\n"
        "from advisor.stats.special import kernels\n"
        "k = kernels()\n"
        "assert 'scipy.special' not in sys.modules, 'the package start-up ran'\n"
        # Not asserted: that numpy.f2py stays unimported. scipy 1.17's compiled modules leave it
        # alone, 1.18's import it themselves (the saving is then ~0.05 s, not ~0.2 s); either
        # way the kernels are scipy's own objects, which is what the report depends on.
        "values = [k.betainc(2.5, 7.0, 0.3), k.betaincinv(2.5, 7.0, 0.5), k.ndtri(0.9)]\n"
        "import scipy.special\n"
        "assert scipy.special.betainc is k.betainc\n"
        "assert values == [scipy.special.betainc(2.5, 7.0, 0.3), scipy.special.betaincinv(2.5, 7.0, 0.5),\n"
        "                  scipy.special.ndtri(0.9)]\n"
        "assert hasattr(scipy.special, 'gammaln')\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
