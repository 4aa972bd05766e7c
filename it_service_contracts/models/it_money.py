# Who sees money (prices, rates, fees, amounts, revenue, and the links to invoices and credit notes): the IT
# services managers and the invoicing users. Technicians see the requests, the hours and the SLA.
MONEY_GROUPS = "it_service_contracts.group_it_manager,account.group_account_invoice"
