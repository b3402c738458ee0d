"""Cost kernels: pure Numba functions over (designs x unique layer shapes) arrays.

* :mod:`.dataflow`: PE-array accelerators in MAESTRO's style, systolic arrays in SCALE-Sim's
  (constants in :mod:`.constants`; pure-Python restatement for tests in :mod:`.reference`);
* :mod:`.crossbar`: IMC crossbar tiles in NeuroSim's / XPert's terms (:mod:`.constants_imc`);
* :mod:`.hybrid`: which layer runs where on a hybrid chip, and how the parts add up;
* readers for ``evo-codesign cost``: ``LAYERS.csv`` (:mod:`.layers_csv`), ``ACC.toml``
  (:mod:`.accelerator_config` / :mod:`.imc_config`).

The hardware backends that compose these kernels for the search and the ``cost`` command are
:mod:`evo_codesign.backends`; nothing here imports pymoo.
"""
