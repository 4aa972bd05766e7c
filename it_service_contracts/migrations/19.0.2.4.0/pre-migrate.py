"""Before 19.0.2.4.0 an asset category had one support service and one price per asset for every company of the
database. Both are now each company's own (company-dependent fields, a JSON object of values by company): each
company keeps the value the category had, a service that belongs to one company for that company only."""


def migrate(cr, version):
    # the check named the price, which becomes a JSON column; the model's new check is added after the update
    cr.execute("ALTER TABLE it_asset_category DROP CONSTRAINT IF EXISTS it_asset_category_check_norms")
    cr.execute("DELETE FROM ir_model_constraint WHERE name = 'it_asset_category_check_norms'")
    cr.execute("""
        ALTER TABLE it_asset_category ADD COLUMN it_service_by_company jsonb, ADD COLUMN it_price_by_company jsonb;
        UPDATE it_asset_category category
           SET it_service_by_company = (
                   SELECT jsonb_object_agg(company.id::text, product.id)
                     FROM product_product product
                     JOIN product_template template ON template.id = product.product_tmpl_id
                     JOIN res_company company ON template.company_id IS NULL OR company.id = template.company_id
                    WHERE product.id = category.service_product_id),
               it_price_by_company = CASE WHEN category.monthly_asset_price != 0 THEN (
                   SELECT jsonb_object_agg(company.id::text, category.monthly_asset_price) FROM res_company company)
               END;
        ALTER TABLE it_asset_category DROP COLUMN service_product_id, DROP COLUMN monthly_asset_price;
        ALTER TABLE it_asset_category RENAME COLUMN it_service_by_company TO service_product_id;
        ALTER TABLE it_asset_category RENAME COLUMN it_price_by_company TO monthly_asset_price;
    """)
