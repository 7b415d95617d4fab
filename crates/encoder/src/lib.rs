//! The sentence encoder of lorasearch: it turns texts into unit-length embeddings with a
//! BERT-family model (BERT, all-MiniLM, bge, e5-v2, XLM-RoBERTa) loaded from a Hugging Face model
//! folder, and carries the LoRA adapters the pipeline trains. The model is written here on top of
//! candle's tensor operations, every one of them differentiable, so the same forward pass serves
//! inference and training. Adapters follow Hugging Face PEFT: the same update
//! `y = W x + b + (alpha / r) * B A dropout(x)`, the same initialisation, and the same files,
//! so Python PEFT can load what this crate saves and the other way round.
//!
//! Nothing is downloaded at run time: the default model comes from `make model`.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use lorasearch_encoder::{DropoutRng, Encoder, EncoderOptions, LoraConfig};
//!
//! # fn main() -> Result<(), lorasearch_encoder::EncoderError> {
//! let folder = Path::new("models/all-MiniLM-L6-v2");
//! let mut encoder = Encoder::load(folder, EncoderOptions::default())?;
//!
//! // Inference: one unit-length vector per text.
//! let embeddings = encoder.embed_texts(&["deep learning books", "iphone charger"])?;
//! assert_eq!(embeddings[0].len(), encoder.hidden_size());
//!
//! // Training: attach adapters, run the forward with dropout, step the trainable tensors.
//! encoder.add_lora(&LoraConfig::default(), 42)?;
//! let token_ids = encoder.tokenizer().encode_batch(&["usb c cable"])?;
//! let mut rng = DropoutRng::seeded(7);
//! let batch = encoder.embed_token_ids_for_training(&token_ids, &mut rng)?;
//! let loss = batch.sum_all()?;
//! let gradients = loss.backward()?;
//! for (key, var) in encoder.trainable_vars() {
//!     let _gradient = gradients.get(var.as_tensor());
//!     let _ = key; // e.g. base_model.model.encoder.layer.0.attention.self.query.lora_A.weight
//! }
//! encoder.save_adapter(Path::new("artifacts/train/adapter"), Some("all-MiniLM-L6-v2"))?;
//! # Ok(())
//! # }
//! ```

mod adapter;
mod batch;
mod bert;
mod config;
mod encoder;
mod error;
mod full;
mod fused;
mod layer_norm;
mod linear;
mod lora;
mod ops;
mod pooling;
mod tokenizer;
mod weights;

pub use adapter::{ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, AdapterConfig};
pub use config::{Activation, ModelConfig, ModelFamily};
pub use encoder::{Encoder, EncoderOptions};
pub use error::{EncoderError, Result};
pub use lora::{ADAPTABLE_MODULES, LoraConfig};
pub use ops::DropoutRng;
pub use pooling::Pooling;
pub use tokenizer::{TextTokenizer, TokenizedText};
