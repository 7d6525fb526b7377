"""Using trained models: loading them from run folders or published weights (:mod:`.loading`), running them
(:mod:`.predict`), and walking a generator's latent space (:mod:`.latent`)."""
