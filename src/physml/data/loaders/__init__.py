r"""Loaders for the public physics data sets in the formats physicists already have.

Each loader reads one public format from a local file (physml never downloads) and
returns plain numpy arrays in physml's conventions: energies and momenta in GeV as
stored, angles in radians, jets as zero-padded ``(n_jets, width, ...)`` arrays with a
``(n_jets, width)`` bool mask, labels as int8 with 1 = signal (quark, top, Higgs).

=====================================  ==========================================
:func:`load_energyflow_qg`             energyflow quark/gluon NPZ (``QG_jets*.npz``)
:func:`load_top_tagging`               top-tagging reference HDF5 (``train.h5``, ...)
:func:`load_uci_higgs`                 UCI HIGGS CSV (``HIGGS.csv[.gz]``)
:func:`load_atlas_higgs`               ATLAS Higgs ML challenge CSV (Kaggle / Open Data)
:func:`load_root`                      any flat or singly jagged ROOT TTree / RNTuple
=====================================  ==========================================

Where the files come from (fetch them yourself):

- quark/gluon jets: Komiske, Metodiev, Thaler, JHEP 01 (2019) 121, arXiv:1810.05165;
  Zenodo doi:10.5281/zenodo.3164691.
- top tagging: Kasieczka et al., SciPost Phys. 7 (2019) 014, arXiv:1902.09914;
  Zenodo doi:10.5281/zenodo.2603256.
- UCI HIGGS: Baldi, Sadowski, Whiteson, Nat. Commun. 5 (2014) 4308, arXiv:1402.4735;
  https://archive.ics.uci.edu/dataset/280/higgs.
- ATLAS Higgs ML challenge: Adam-Bourdarios et al., JMLR W&CP 42 (2015) 19; CERN Open
  Data doi:10.7483/OPENDATA.ATLAS.ZBP2.M5T8 (``atlas-higgs-challenge-2014-v2.csv``).

A file that does not match its format raises :class:`DataFormatError` (a
:class:`~physml.config.ConfigError`, so a ValueError) whose message names the file, what
was expected and what was found: the wrong arrays or columns, the wrong dtype, a group
where a table belongs, no rows, or a NaN or infinite number. A missing file raises
FileNotFoundError naming it. :func:`read_energyflow_qg_labels` and
:func:`read_top_tagging_labels` check a file's layout and read only its labels, so a task
can refuse a wrong file (or one holding a single class, :func:`require_both_classes`)
before it starts. No loader unpickles anything: NPZ files are read with
``allow_pickle=False``, and the pickled attributes pandas leaves in HDF5 files are never
read. ROOT files need the optional ``hep`` extra (``pip install 'physml[hep]'``).
"""

from __future__ import annotations

from physml.data.loaders.csv_tables import (
    ATLAS_HIGGS_FEATURES,
    UCI_HIGGS_FEATURES,
    load_atlas_higgs,
    load_uci_higgs,
)
from physml.data.loaders.hdf5 import load_top_tagging, read_top_tagging_labels
from physml.data.loaders.npz import load_energyflow_qg, read_energyflow_qg_labels
from physml.data.loaders.records import (
    DataFormatError,
    JetConstituents,
    JetFourMomenta,
    TabularEvents,
    require_both_classes,
)
from physml.data.loaders.root import load_root

__all__ = [
    "ATLAS_HIGGS_FEATURES",
    "UCI_HIGGS_FEATURES",
    "DataFormatError",
    "JetConstituents",
    "JetFourMomenta",
    "TabularEvents",
    "load_atlas_higgs",
    "load_energyflow_qg",
    "load_root",
    "load_top_tagging",
    "load_uci_higgs",
    "read_energyflow_qg_labels",
    "read_top_tagging_labels",
    "require_both_classes",
]
