"""coopthemes: cooperation themes in multilingual security-cooperation news.

Stages, in the order data flows through them::

    corpus -> embeddings (cached) -> themes -> prevalence -> report

The command line is ``coopthemes`` (:mod:`coopthemes.cli`); the whole chain is
:func:`coopthemes.pipeline.run`.
"""

__version__ = "0.1.0"
