#include "extism.h"
