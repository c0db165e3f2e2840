"""Networks on particles and jets: deep sets (PFN, EFN), the particle transformer, the
Lorentz layer (LoLa) and jet-image CNNs. Inputs are padded sets with a mask."""
