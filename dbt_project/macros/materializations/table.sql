{#-
  The table materialization of this project, for DuckDB: every model is rebuilt from raw each
  night into a warehouse no other process reads meanwhile, so a SQL model replaces its table
  in one transaction (drop, then create with the model's contract, so a model that fails
  keeps its table) instead of dbt-duckdb's
  build-beside, rename, drop-backup sequence and its foreign-key bookkeeping (the project
  declares no foreign key, index, grant or persisted docs). A Python model writes its frame
  through a cursor of its own (dbt-duckdb), outside this transaction: it is built beside its
  table, which is then swapped in. docs/decisions/0010-lean-dbt-nodes.md gives the measurements.
-#}
{% materialization table, adapter="duckdb", supported_languages=['sql', 'python'] %}
  {%- set language = model['language'] -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if language == 'python' %}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {% call statement('main', language=language) -%}
      {{- create_table_as(False, intermediate_relation, compiled_code, language) }}
    {%- endcall %}
    {{ drop_relation_if_exists(existing_relation) }}
    {{ adapter.rename_relation(intermediate_relation, target_relation) }}
  {% else %}
    {#-- One statement, so the drop is in the transaction: a model that fails keeps its table. --#}
    {% call statement('main', language=language) -%}
      {% if existing_relation is not none %}{{ get_drop_sql(existing_relation) }};{% endif %}
      {{- create_table_as(False, target_relation, compiled_code, language) }}
    {%- endcall %}
    {% do adapter.cache_dropped(existing_relation) if existing_relation is not none %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
