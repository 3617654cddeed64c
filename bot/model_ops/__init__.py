"""Model operations for trainers: training jobs, evaluation with plots, the activation gate and the hot swap."""
