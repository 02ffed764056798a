"""The real decoder shapes both benchmarks build from a configuration alone (random weights, no download)."""

REAL_SHAPES = {
    # SmolLM2-135M's published configuration (HuggingFaceTB/SmolLM2-135M, config.json): the labs' hub decoder
    "smollm2-135m": dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=2048,
                         tie_word_embeddings=True),
    # Llama-3.2-1B's published configuration (vocabulary, widths, depth)
    "llama-1b": dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                     num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=2048,
                     tie_word_embeddings=True),
}
