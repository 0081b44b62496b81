"""The Learning Record API: xAPI ingest on Kafka, Faust indicators, Redis serving views."""
