"""Tools beside the pipeline: the synthetic reconstruction of the data (`reconstruct`), stress
waves (`stress`), the benchmark (`benchmark`) and the machine's setup (`bootstrap`)."""
