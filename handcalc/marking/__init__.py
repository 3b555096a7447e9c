"""Marking: the precision model (``precision``), the two recomputed chains a cell is
compared with (``chains``, ``batch``), the diagnosis from a student's own numbers
(``mistakes``), answers handed back as filled PDF forms and a class marked at once.
``handcalc.check`` is the public entry."""
