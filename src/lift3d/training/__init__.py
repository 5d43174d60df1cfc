"""Training: the base diffusion model (`base`) and LoRA adapters (`adapters`, `adapter_data`).

Training sits above the stages: it may import every one of them (it scores with the
reconstruction and the evaluation), and no stage imports it.
"""
