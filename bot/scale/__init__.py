"""Running TenantLine as several replicas: the shared conversation lock and the production profile."""
