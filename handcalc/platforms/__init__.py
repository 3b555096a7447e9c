"""Where teachers already mark: packagers over the same Trace, worksheet and marking.

``moodle`` writes each exercise as a Moodle Cloze question (Moodle XML); ``gradescope``
builds an autograder zip and the ``results.json`` of a marked submission. Neither computes
attention or decides a verdict: they lay out what the worksheet and the marking say.
"""
