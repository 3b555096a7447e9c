"""``python -m handcalc`` is the ``handcalc`` command."""

from handcalc.cli import main

main()
