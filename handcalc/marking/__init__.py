"""Marking a student's work: the precision model (``precision``) and the two recomputed
chains a cell is compared with (``chains``). ``handcalc.check`` is the public entry."""
