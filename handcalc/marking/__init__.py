"""Marking: answers handed back (files and filled PDF forms) and a class marked at once."""
