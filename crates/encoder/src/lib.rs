//! Sentence encoder: a BERT-family model in candle with LoRA adapters.
