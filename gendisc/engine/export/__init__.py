"""Getting a trained run out of the app: its model as ONNX or TorchScript (:mod:`.model`), a one-page HTML report
(:mod:`.report`)."""
