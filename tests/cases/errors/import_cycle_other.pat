import "import_cycle.pat"
