"""Exercises for a class: the roster of students, each student's own exercise, the class
manifest and the answers templates handed out with the sheets. Prints nothing."""
