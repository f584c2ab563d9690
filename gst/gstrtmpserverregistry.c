#include "gstrtmpserverregistry.h"
