{#-
  The table materialization of this project, for DuckDB. Every model is a table rebuilt each
  night into a warehouse no other process reads meanwhile, so a model replaces its table in one
  transaction instead of dbt-duckdb's build-beside, rename, drop-backup sequence and its
  foreign-key bookkeeping: a SQL model drops and creates (with its contract) in one statement;
  a Python model, whose frame dbt-duckdb may write through a cursor of its own, outside the
  model's transaction, is built beside its table, then the drop and the rename are one
  transaction. A model that fails replaces nothing: the table stays as it was, or absent when
  the night's compaction dropped its schema. The configurations this sequence does not apply
  (indexes, grants, persisted docs, partitioning, foreign keys) are refused rather than ignored.
  Why: docs/decisions/0010-lean-dbt-nodes.md.
-#}
{% materialization table, adapter="duckdb", supported_languages=['sql', 'python'] %}
  {%- set language = model['language'] -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}

  {%- set unsupported = [] -%}
  {%- for name in ['indexes', 'grants', 'persist_docs', 'partitioned_by', 'sorted_by'] -%}
    {%- if config.get(name) -%}{%- do unsupported.append(name) -%}{%- endif -%}
  {%- endfor -%}
  {%- for column in model.get('columns', {}).values() -%}
    {%- for constraint in column.get('constraints', []) -%}
      {%- if constraint.type == 'foreign_key' -%}{%- do unsupported.append('foreign_key') -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- for constraint in model.get('constraints', []) -%}
    {%- if constraint.type == 'foreign_key' -%}{%- do unsupported.append('foreign_key') -%}{%- endif -%}
  {%- endfor -%}
  {%- if unsupported -%}
    {{ exceptions.raise_compiler_error("The project's table materialization (macros/materializations/table.sql) does not apply " ~ unsupported | unique | join(', ') ~ " to " ~ this ~ ": remove the setting, or extend the materialization.") }}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if language == 'python' %}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {% call statement('main', language=language) -%}
      {{- create_table_as(False, intermediate_relation, compiled_code, language) }}
    {%- endcall %}
    {% call statement('swap') -%}
      {% if existing_relation is not none %}{{ get_drop_sql(existing_relation) }};{% endif %}
      alter table {{ intermediate_relation }} rename to {{ adapter.quote_as_configured(target_relation.identifier, 'identifier') }}
    {%- endcall %}
  {% else %}
    {% call statement('main', language=language) -%}
      {% if existing_relation is not none %}{{ get_drop_sql(existing_relation) }};{% endif %}
      {{- create_table_as(False, target_relation, compiled_code, language) }}
    {%- endcall %}
  {% endif %}
  {% do adapter.cache_dropped(existing_relation) if existing_relation is not none %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
