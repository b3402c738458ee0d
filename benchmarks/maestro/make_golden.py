"""Write the golden subset the tests read from the shared MAESTRO data (numbers only, no code).

    python benchmarks/maestro/make_golden.py [--data ../shared/data/maestro-nb301]

Keeps every fifth of the 200 networks (``shared_0``, ``shared_5``, ..., ``shared_195``: 40 cells
spread over the file's order, which is the NAS-Bench-301 sample order): ``golden_cells.json``
(their genotypes), ``golden_networks.csv`` (MAESTRO's network runtime and energy, 40 x 8 settings)
and ``golden_layers.csv`` (MAESTRO's 25 layer shapes x 8 settings, all of them). The other golden
files here (``golden_layers_alone.csv``, ``golden_layers_square.csv``, ``golden_offchip_sweep.csv``)
come from MAESTRO itself: ``run_maestro.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agreement as A  # noqa: E402

EVERY = 5


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=A.SHARED)
    p.add_argument("--out", type=Path, default=A.HERE)
    args = p.parse_args(argv)
    cells = json.loads((args.data / "nb301_cells_200.json").read_text())[::EVERY]
    names = [c["name"] for c in cells]
    nets = pd.read_csv(args.data / "maestro_nb301_networks_200.csv")
    nets = nets[nets["cell"].isin(names)]
    layers = pd.read_csv(args.data / "maestro_nb301_layer_shapes.csv")
    (args.out / "golden_cells.json").write_text("[\n" + ",\n".join(json.dumps(c) for c in cells) + "\n]\n")
    nets.to_csv(args.out / "golden_networks.csv", index=False)
    layers.to_csv(args.out / "golden_layers.csv", index=False)
    prep = A.prepare(A.golden_reference(args.out))
    A.check_against_maestro(prep)
    m = A.shape_match(prep)
    print(f"wrote {len(names)} cells, {len(nets)} network rows, {len(layers)} layer rows to {args.out}; "
          f"the subset uses {m['matched']} of MAESTRO's {m['maestro_shapes']} shapes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
