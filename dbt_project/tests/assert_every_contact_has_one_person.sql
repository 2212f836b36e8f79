-- docs/glossary.md, persons: every contact belongs to exactly one person.
{{ config(meta={'dagster': {'ref': {'name': 'int_contacts_resolved'}}}) }}
select stg.contact_key
from {{ ref('stg_crm__contacts') }} as stg
left join {{ ref('int_contacts_resolved') }} as resolved on resolved.contact_key = stg.contact_key
where resolved.person_key is null
