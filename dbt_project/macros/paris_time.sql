{#-
    The CRM stores UTC; months and days of the business are Europe/Paris (docs/glossary.md).
    Dispatched so that another engine can supply its own spelling.
-#}
{% macro to_paris_time(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_paris_time')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__to_paris_time(utc_timestamp) -%}
    cast(timezone('Europe/Paris', timezone('UTC', {{ utc_timestamp }})) as timestamp)
{%- endmacro %}

{% macro spark__to_paris_time(utc_timestamp) -%}
    from_utc_timestamp({{ utc_timestamp }}, 'Europe/Paris')
{%- endmacro %}

{% macro paris_month(utc_timestamp) -%}
    cast({{ dbt.date_trunc('month', to_paris_time(utc_timestamp)) }} as date)
{%- endmacro %}

{% macro paris_date(utc_timestamp) -%}
    cast({{ to_paris_time(utc_timestamp) }} as date)
{%- endmacro %}
