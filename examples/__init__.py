"""The bundled sample export (nps_sample.csv), shipped as feedback_nlp.examples for `feedback-nlp demo`."""
