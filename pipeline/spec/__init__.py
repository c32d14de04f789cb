"""Specs: every YAML file a build reads, validated (`schema`), and the typed objects the stages
see (`objects`), with the expressions specs write (`expressions`) and a data folder's own files
(`folders`)."""
