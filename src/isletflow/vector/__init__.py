"""The vectorised cohort: whole chunks of recipients as numpy arrays (issue 17).

The per-case engine stays the reference: recipient I of seed S draws the same values here as
there (``streams``), and a differential test holds every recipient's record equal.
"""
