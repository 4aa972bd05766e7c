"""Hours a package carried into its renewal are no longer available to it (they could be drawn twice once the
package was reactivated): its available and remaining hours leave them out."""


def migrate(cr, version):
    cr.execute("""
        UPDATE it_contract
           SET hours_available = hours_available - hours_carried_over,
               hours_remaining = hours_available - hours_carried_over - COALESCE(hours_used, 0)
         WHERE contract_type = 'hour_package' AND COALESCE(hours_carried_over, 0) > 0
    """)
