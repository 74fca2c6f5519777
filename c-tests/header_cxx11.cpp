#include "extism.h"
#include "extism.h"
