"""Generated hostile inputs shared by the adversarial tests (nothing large is committed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FRENCH = ("Le ministre de la Sécurité publique a reçu à Hanoï la délégation française du ministère de "
          "l'Intérieur pour renforcer la coopération contre la criminalité transnationale.")
ENGLISH = ("The Minister of Public Security met the Japanese Ambassador in Hanoi to discuss cooperation "
           "against drug trafficking and cybercrime.")

#: A YAML alias bomb of eight levels (9**8 leaves, a few hundred bytes): ``*h`` is the whole bomb.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip([None, *"abcdefg"], "abcdefgh")
)


def damaged_parquet(path: Path) -> Path:
    """A Parquet table of 100 texts with 200 bytes flipped after its header."""
    pd.DataFrame({"text": [FRENCH, ENGLISH] * 50}).to_parquet(path)
    data = bytearray(path.read_bytes())
    for i in range(100, 300):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path
