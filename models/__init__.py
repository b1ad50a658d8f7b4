"""The model files (model card, adapter, head config, metrics), shipped as feedback_nlp.model_files."""
