{#-
    The disclosure spec of every mart (its meta.disclosure, as JSON), published with the marts:
    what each figure is and rests on, and the relations between cells. The audit reads it from
    the published file itself; a reader learns from it how to read a secret cell.
-#}
{%- set rows = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.meta.get('disclosure') -%}
            {%- do rows.append("select '" ~ node.name ~ "' as mart, '" ~ (tojson(node.config.meta.disclosure, sort_keys=True) | replace("'", "''")) ~ "' as rules") -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- if rows -%}
{{ rows | join('\nunion all\n') }}
{%- else -%}
select cast(null as varchar) as mart, cast(null as varchar) as rules where false
{%- endif %}
