import { registry } from "@web/core/registry";
import { acceptDocumentSteps } from "@it_service_contracts/../tests/tours/it_tour_steps";

// A client's contact reads the contract sent to them and accepts it with their name and signature.
registry.category("web_tour.tours").add("it_portal_contract_accept_tour", {
    steps: () => [
        {
            content: "The contract waits for the client's acceptance, with its document",
            trigger: ".o_it_portal_contract_page a.o_it_contract_document_link",
        },
        ...acceptDocumentSteps("Alice A"),
    ],
});
