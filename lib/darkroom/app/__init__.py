"""What runs things: ``runner`` executes the notebooks, ``book`` renders them, ``cli`` is the ``darkroom`` command.

Nothing in :mod:`darkroom.core` or in a topic package imports from here.
"""
